// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ENGLISH, LANGUAGES, loadLanguage } from '../i18n';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('every language is complete', () => {
  const english = ENGLISH;

  it.each(LANGUAGES.filter((language) => language !== 'en'))('%s has every key, nothing empty, the same placeholders', async (language) => {
    const dictionary: Record<string, string> = await loadLanguage(language);
    expect(Object.keys(dictionary).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(english)) {
      expect(dictionary[key]?.trim(), key).toBeTruthy();
      expect(placeholders(dictionary[key]!), key).toEqual(placeholders(text));
    }
  });

  it('leaves no English word untranslated in Spanish', async () => {
    const spanish = await loadLanguage('es');
    // Strings that are the same in both languages on purpose: names, formats and notation.
    const same = new Set(['appTitle', 'exportCsv', 'exportExcel', 'normal', 'metricState_normal', 'alertLine', 'ruleSigma']);
    const untranslated = Object.keys(english).filter(
      (key) => !same.has(key) && spanish[key as keyof typeof english] === english[key as keyof typeof english],
    );
    expect(untranslated).toEqual([]);
  });
});
