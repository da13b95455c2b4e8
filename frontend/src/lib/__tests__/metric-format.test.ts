// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { getFormatters } from '../format';
import { formatNumber, formatValue, metricTitle, NO_META } from '../metric-format';

const en = getFormatters('en-US');
const de = getFormatters('de-DE');

describe('metric values with their meta', () => {
  it('uses the metric decimals in the viewer locale', () => {
    const meta = { unit: '°C', label: 'Boiler', decimals: 1 };
    expect(formatNumber(en, 22.26, meta)).toBe('22.3');
    expect(formatNumber(de, 22.26, meta)).toBe('22,3');
    expect(formatNumber(en, 22, { ...meta, decimals: 2 })).toBe('22.00');
    expect(formatValue(en, 22.26, meta)).toBe('22.3\u00a0°C');
    expect(formatValue(de, 1234.5, { ...meta, decimals: 0 })).toBe('1.235\u00a0°C');
  });

  it('falls back to the default rounding and no unit', () => {
    expect(formatValue(en, 22.26, NO_META)).toBe(en.number(22.26));
    expect(formatValue(en, null, { unit: 'ms', label: null, decimals: 1 })).toBe('—');
  });

  it('titles a metric by its label', () => {
    expect(metricTitle('boiler.temp', { unit: null, label: 'Boiler temperature', decimals: null })).toBe(
      'Boiler temperature (boiler.temp)',
    );
    expect(metricTitle('cpu')).toBe('cpu');
  });
});
