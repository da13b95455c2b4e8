// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { getFormatters } from '../format';
import { detectLanguage, hourCycleFor, loadLanguage, localeFor, translate } from '../i18n';

// Intl output contains narrow no-break spaces in some locales; compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('number formatting', () => {
  const en = getFormatters('en-US');
  const es = getFormatters('es-ES');

  it('uses the locale separators', () => {
    expect(en.number(12345.678)).toBe('12,346');
    expect(es.number(12345.678)).toBe('12.346');
    expect(en.number(1234.5)).toBe('1,234.5');
    // Spanish does not group four-digit numbers.
    expect(es.number(1234.5)).toBe('1234,5');
    expect(en.number(101.25)).toBe('101.25');
    expect(es.number(101.25)).toBe('101,25');
  });

  it('keeps small values readable and marks missing ones', () => {
    expect(en.number(0.00123456)).toBe('0.001235');
    expect(es.number(0.00123456)).toBe('0,001235');
    expect(en.number(null)).toBe('—');
    expect(es.number(Number.NaN)).toBe('—');
  });

  it('signs z-scores', () => {
    expect(en.zscore(3.014)).toBe('+3.01');
    expect(es.zscore(-2.5)).toBe('-2,50');
    expect(en.zscore(null)).toBe('—');
  });
});

describe('date formatting', () => {
  const ms = Date.parse('2025-09-27T14:05:09Z');

  it('formats date and time per language', () => {
    const en = getFormatters('en-US', 'UTC');
    const es = getFormatters('es-ES', 'UTC');
    expect(plain(en.time(ms))).toBe('02:05:09 PM');
    expect(es.time(ms)).toBe('14:05:09');
    expect(plain(en.dateTime(ms))).toBe('Sep 27, 2025, 2:05:09 PM');
    expect(es.dateTime(ms)).toBe('27 sept 2025, 14:05:09');
  });

  it("keeps the viewer's clock whatever the language", () => {
    // English text for a de-DE browser: 24-hour times, no AM/PM.
    const enIn24 = getFormatters('en-US', 'UTC', hourCycleFor(['de-DE']));
    expect(plain(enIn24.time(ms))).toBe('14:05:09');
    expect(plain(enIn24.dateTime(ms))).toBe('Sep 27, 2025, 14:05:09');
    expect(plain(enIn24.tick(ms, 3_600_000))).toBe('14:05');
    expect(hourCycleFor(['en-US'])).toBe('h12');
    expect(plain(getFormatters('es-ES', 'UTC', hourCycleFor(['en-US'])).time(ms))).toMatch(/p\.\s?m\./);
    expect(hourCycleFor([])).toBeUndefined();
  });

  it('says how long ago', () => {
    const now = ms + 3 * 60_000;
    expect(getFormatters('en-US').relative(ms, now)).toBe('3 minutes ago');
    expect(getFormatters('es-ES').relative(ms, now)).toBe('hace 3 minutos');
    expect(getFormatters('en-US').relative(ms - 86_400_000, ms)).toBe('yesterday');
    expect(getFormatters('es-ES').relative(ms - 86_400_000, ms)).toBe('ayer');
  });
});

describe('language', () => {
  it('is detected from the browser languages', () => {
    expect(detectLanguage(['es-MX', 'en'])).toBe('es');
    expect(detectLanguage(['en-GB', 'es'])).toBe('en');
    expect(detectLanguage(['fr-FR', 'es-ES'])).toBe('es');
    expect(detectLanguage(['de'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });

  it('keeps the browser region for formatting', () => {
    expect(localeFor('es', ['es-MX', 'en'])).toBe('es-MX');
    expect(localeFor('es', ['en-US'])).toBe('es-ES');
    expect(localeFor('en', ['en-GB'])).toBe('en-GB');
  });

  it('translates with placeholders in both languages', async () => {
    await loadLanguage('es');
    expect(translate('en', 'state_live')).toBe('live');
    expect(translate('es', 'state_live')).toBe('en vivo');
    expect(translate('en', 'retryIn', { s: 4 })).toBe('next try in 4 s');
    expect(translate('es', 'retryIn', { s: 4 })).toBe('próximo intento en 4 s');
  });
});
