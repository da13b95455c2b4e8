import type { ReactNode } from 'react';

/**
 * The bar at the top of every page but the dashboard (which adds its logo): the title, an optional
 * tagline, then the page's own navigation, controls and `topbar-end` items.
 */
export function PageHeader({ title, tagline, children }: { title: string; tagline?: string; children?: ReactNode }) {
  return (
    <header className="topbar">
      <div className="brand">
        <h1 className="brand-name">{title}</h1>
        {tagline ? <p className="brand-tagline">{tagline}</p> : null}
      </div>
      {children}
    </header>
  );
}
