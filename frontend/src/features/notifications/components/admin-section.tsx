import type { ReactNode } from 'react';
import { TableHead } from '@/components/table-head';
import { useNotifyText } from '../text';

/** One panel of the notifications page: its title (the panel's accessible name) and a hint. */
export function AdminSection({ id, title, hint, children }: { id: string; title: string; hint: string; children: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        {title}
      </h2>
      <p className="panel-hint">{hint}</p>
      {children}
    </section>
  );
}

/** Why a list shows nothing: it failed to load, or it is empty. */
export function LoadStatus({ error, empty, emptyText }: { error: string | null; empty: boolean; emptyText: string }) {
  const t = useNotifyText();
  if (error) return <p className="inline-error">{t('loadFailed', { detail: error })}</p>;
  return empty ? <p className="panel-hint">{emptyText}</p> : null;
}

/** A list shown as a table, or why it shows nothing (never a table of only its header). */
export function AdminTable<T>({
  testId,
  columns,
  items,
  error,
  emptyText,
  row,
}: {
  testId: string;
  columns: readonly ReactNode[];
  items: readonly T[];
  error: string | null;
  emptyText: string;
  row: (item: T) => ReactNode;
}) {
  return (
    <>
      <LoadStatus error={error} empty={items.length === 0} emptyText={emptyText} />
      {items.length > 0 ? (
        <table className="notify-table" data-testid={testId}>
          <TableHead columns={columns} />
          <tbody>{items.map(row)}</tbody>
        </table>
      ) : null}
    </>
  );
}
