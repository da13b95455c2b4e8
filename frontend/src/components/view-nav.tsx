import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';
import { navigate } from '@/lib/url-state';
import './view-nav.css';

export type View = 'dashboard' | 'overview' | 'compare';

/** Links between the focused dashboard, the overview of every metric and the compare view. */
export function ViewNav({ current, range, metric = null }: { current: View; range: TimeRange; metric?: string | null }) {
  const { t } = useI18n();
  const links: [View, string][] = [
    ['dashboard', `/?${metric ? `metric=${encodeURIComponent(metric)}&` : ''}range=${range}`],
    ['overview', `/?view=overview&range=${range}`],
    ['compare', `/?view=compare&metrics=${metric ? encodeURIComponent(metric) : ''}&range=${range}`],
  ];
  return (
    <nav className="view-nav" aria-label={t('viewNav')}>
      {links.map(([view, href]) => (
        <a
          key={view}
          href={href}
          data-testid={`nav-${view}`}
          aria-current={view === current ? 'page' : undefined}
          onClick={(event) => {
            if (event.metaKey || event.ctrlKey || event.shiftKey) return;
            event.preventDefault();
            navigate(href);
          }}
        >
          {t(`view_${view}`)}
        </a>
      ))}
    </nav>
  );
}
