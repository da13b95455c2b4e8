import { render, type RenderOptions } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nProvider, type Language } from '@/lib/i18n';
import { ThemeProvider } from '@/lib/theme';

/** Render inside the app's providers, in a fixed language. */
export function renderWithProviders(ui: ReactElement, options: RenderOptions & { language?: Language } = {}) {
  const { language = 'en', ...rest } = options;
  return render(
    <ThemeProvider>
      <I18nProvider initialLanguage={language}>{ui}</I18nProvider>
    </ThemeProvider>,
    rest,
  );
}
