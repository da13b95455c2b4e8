import { LANGUAGES, useI18n, type Language } from '@/lib/i18n';

const NAMES: Record<Language, string> = { en: 'English', es: 'Español' };

export function LanguageSelect() {
  const { language, setLanguage, t } = useI18n();
  return (
    <label className="field field-compact">
      <span className="field-label">{t('language')}</span>
      <select
        data-testid="language-select"
        value={language}
        onChange={(event) => setLanguage(event.target.value as Language)}
      >
        {LANGUAGES.map((code) => (
          <option key={code} value={code} lang={code}>
            {NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  );
}
