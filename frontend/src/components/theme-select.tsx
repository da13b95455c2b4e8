import { useI18n } from '@/lib/i18n';
import { THEMES, useTheme, type Theme } from '@/lib/theme';

export function ThemeSelect() {
  const { theme, setTheme } = useTheme();
  const { t } = useI18n();
  return (
    <label className="field field-compact">
      <span className="field-label">{t('theme')}</span>
      <select data-testid="theme-select" value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
        {THEMES.map((value) => (
          <option key={value} value={value}>
            {t(`theme_${value}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
