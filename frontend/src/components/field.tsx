import type { ReactNode } from 'react';

/** A control with its visible label above it; `compact` for the narrow ones in the header's end. */
export function Field({ label, compact = false, children }: { label: string; compact?: boolean; children: ReactNode }) {
  return (
    <label className={compact ? 'field field-compact' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
    </label>
  );
}
