import { Field } from './field';

export interface SelectOption<T extends string> {
  value: T;
  label: string;
  /** The option's language, when its label is in its own one (the language picker). */
  lang?: string;
}

export interface SelectInputProps<T extends string> {
  /** `''` selects an option whose value is `''` (a placeholder such as "any"). */
  value: T;
  options: readonly SelectOption<T>[];
  onChange: (value: T) => void;
  disabled?: boolean;
  testId?: string;
  /** For a select without a visible label (a filter in a row). */
  ariaLabel?: string;
}

/**
 * A `<select>` of typed options: `onChange` gets the option's own value, so callers need no cast
 * and a value outside `options` cannot come back.
 */
export function SelectInput<T extends string>({ value, options, onChange, disabled, testId, ariaLabel }: SelectInputProps<T>) {
  return (
    <select
      data-testid={testId}
      aria-label={ariaLabel}
      value={value}
      disabled={disabled}
      onChange={(event) => {
        const picked = options.find((option) => option.value === event.target.value);
        if (picked) onChange(picked.value);
      }}
    >
      {options.map((option) => (
        <option key={option.value} value={option.value} lang={option.lang}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

export interface SelectProps<T extends string> extends Omit<SelectInputProps<T>, 'ariaLabel'> {
  label: string;
  compact?: boolean;
}

/** A labelled select: the form every picker of the app (metric, range, theme, language…) takes. */
export function Select<T extends string>({ label, compact, ...input }: SelectProps<T>) {
  return (
    <Field label={label} compact={compact}>
      <SelectInput {...input} />
    </Field>
  );
}
