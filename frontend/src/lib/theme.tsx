import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useMediaQuery } from '@/hooks/use-media-query';
import { usePreference } from './preference';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
export type ColorScheme = 'light' | 'dark';

/** Also read by public/theme.js, which applies the choice before the app's JS has loaded. */
export const THEME_STORAGE_KEY = 'chronoview.theme';

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

/** The stylesheet's light-dark() colours follow `color-scheme`, which data-theme sets. */
function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

interface ThemeValue {
  theme: Theme;
  /** What is on the screen: the choice, or the system's preference for `system`. */
  scheme: ColorScheme;
  setTheme: (theme: Theme) => void;
}

const ThemeContext = createContext<ThemeValue | null>(null);

/** Light, dark or the system's; remembered in localStorage and applied as `<html data-theme>`. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [theme, setTheme] = usePreference(THEME_STORAGE_KEY, (stored) => (isTheme(stored) ? stored : 'system'), applyTheme);
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  const scheme: ColorScheme = theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
  const value = useMemo(() => ({ theme, scheme, setTheme }), [theme, scheme, setTheme]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeValue {
  const value = useContext(ThemeContext);
  if (!value) throw new Error('useTheme must be used inside <ThemeProvider>');
  return value;
}

/** The colours on the screen (charts need concrete ones, not CSS variables); the system's outside a provider. */
export function useColorScheme(): ColorScheme {
  const value = useContext(ThemeContext);
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  return value ? value.scheme : systemDark ? 'dark' : 'light';
}
