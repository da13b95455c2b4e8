import { useI18n } from '@/lib/i18n';
import { TIME_RANGES, type TimeRange } from '@/lib/time-range';
import { Select, type SelectOption } from './select';

const CUSTOM = 'custom';

/**
 * The time range presets. With `custom`, the window is not a preset (the compare view looking at
 * the past): a "custom" entry is shown selected, and picking a preset leaves it.
 */
export function RangeSelect({ value, onChange, custom = false }: { value: TimeRange; onChange: (range: TimeRange) => void; custom?: boolean }) {
  const { t } = useI18n();
  const options: SelectOption<TimeRange | typeof CUSTOM>[] = TIME_RANGES.map((range) => ({ value: range, label: t(`range_${range}`) }));
  if (custom) options.unshift({ value: CUSTOM, label: t('timeCustom') });
  return (
    <Select
      label={t('range')}
      testId="range-select"
      value={custom ? CUSTOM : value}
      options={options}
      onChange={(picked) => {
        if (picked !== CUSTOM) onChange(picked);
      }}
    />
  );
}
