import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useMediaQuery } from '@/hooks/use-media-query';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
export type ColorScheme = 'light' | 'dark';

/** Also read by public/theme.js, which applies the choice before the app's JS has loaded. */
export const THEME_STORAGE_KEY = 'chronoview.theme';

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(THEME_STORAGE_KEY);
    return isTheme(value) ? value : 'system';
  } catch {
    return 'system';
  }
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
  const [theme, setThemeState] = useState<Theme>(storedTheme);
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  const scheme: ColorScheme = theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
  const setTheme = useCallback((next: Theme) => {
    setThemeState(next);
    try {
      localStorage.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  }, []);
  useEffect(() => {
    // The stylesheet's light-dark() colours follow `color-scheme`, which data-theme sets.
    document.documentElement.dataset.theme = theme;
  }, [theme]);
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
