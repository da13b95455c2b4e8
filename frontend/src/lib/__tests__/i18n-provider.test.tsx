import { act, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of the module: only English is loaded, as on a first visit. */
async function freshI18n() {
  vi.resetModules();
  return import('../i18n');
}

describe('I18nProvider', () => {
  beforeEach(() => localStorage.clear());

  it('draws English at once and Spanish once its words are fetched', async () => {
    const { I18nProvider, useI18n } = await freshI18n();
    function Live() {
      const { t, language, setLanguage } = useI18n();
      return (
        <button type="button" data-language={language} onClick={() => setLanguage(language === 'en' ? 'es' : 'en')}>
          {t('state_live')}
        </button>
      );
    }
    const english = render(
      <I18nProvider initialLanguage="en">
        <Live />
      </I18nProvider>,
    );
    expect(screen.getByRole('button')).toHaveTextContent('live'); // no wait for English
    act(() => screen.getByRole('button').click());
    expect(screen.getByRole('button')).toHaveTextContent('live'); // English stays while Spanish comes
    await waitFor(() => expect(screen.getByRole('button')).toHaveTextContent('en vivo'));
    english.unmount();

    const { I18nProvider: Fresh, useI18n: useFresh } = await freshI18n();
    function Word() {
      return <p>{useFresh().t('state_live')}</p>;
    }
    const { container } = render(
      <Fresh initialLanguage="es">
        <Word />
      </Fresh>,
    );
    expect(container).toBeEmptyDOMElement(); // never an English first screen for a Spanish reader
    await waitFor(() => expect(screen.getByText('en vivo')).toBeInTheDocument());
  });
});
