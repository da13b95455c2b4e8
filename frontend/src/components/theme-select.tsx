import { useI18n } from '@/lib/i18n';
import { THEMES, useTheme } from '@/lib/theme';
import { Select } from './select';

export function ThemeSelect() {
  const { theme, setTheme } = useTheme();
  const { t } = useI18n();
  return (
    <Select
      compact
      label={t('theme')}
      testId="theme-select"
      value={theme}
      options={THEMES.map((value) => ({ value, label: t(`theme_${value}`) }))}
      onChange={setTheme}
    />
  );
}
