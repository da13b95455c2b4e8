import { LANGUAGES, useI18n, type Language } from '@/lib/i18n';
import { Select } from './select';

const NAMES: Record<Language, string> = { en: 'English', es: 'Español' };

export function LanguageSelect() {
  const { language, setLanguage, t } = useI18n();
  return (
    <Select
      compact
      label={t('language')}
      testId="language-select"
      value={language}
      options={LANGUAGES.map((code) => ({ value: code, label: NAMES[code], lang: code }))}
      onChange={setLanguage}
    />
  );
}
