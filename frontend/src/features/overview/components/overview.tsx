import { memo, useMemo, useState } from 'react';
import { Field } from '@/components/field';
import { LanguageSelect } from '@/components/language-select';
import { PageHeader } from '@/components/page-header';
import { RangeSelect } from '@/components/range-select';
import type { WebSocketFactory } from '@/hooks/use-websocket';
import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';
import { navigate } from '@/lib/url-state';
import { ViewNav } from '@/components/view-nav';
import { MAX_METRICS as MAX_COMPARED, writeCompareQuery } from '@/features/compare/lib/window';
import { useOverview, useSparkHistory, useStoreVersion } from '../hooks/use-overview';
import { isStale, orderTiles, sparkPath, type Tile } from '../lib/tiles';
import './overview.css';

/** Tiles per page: what a wide screen shows; 500 metrics are 9 pages, each rendered alone. */
export const PAGE_SIZE = 60;
const RENDER_INTERVAL_MS = 1000;
const SPARK_W = 160;
const SPARK_H = 36;

export interface OverviewProps {
  range: TimeRange;
  onRangeChange: (range: TimeRange) => void;
  createSocket?: WebSocketFactory;
}

/** Every metric at a glance: value, state, staleness and a sparkline; firing first. */
export function Overview({ range, onRangeChange, createSocket }: OverviewProps) {
  const { t, fmt } = useI18n();
  const { store, connection } = useOverview(range, createSocket);
  const version = useStoreVersion(store, RENDER_INTERVAL_MS);
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const [picked, setPicked] = useState<string[]>([]);

  const ordered = useMemo(() => orderTiles(store.all(), filter), [store, filter, version]);
  const pages = Math.max(1, Math.ceil(ordered.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = ordered.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  useSparkHistory(store, shown.map((tile) => tile.metric), range);
  const now = Date.now();

  const toggle = (metric: string) =>
    setPicked((list) =>
      list.includes(metric) ? list.filter((m) => m !== metric) : list.length < MAX_COMPARED ? [...list, metric] : list,
    );
  const compare = () => navigate(`/${writeCompareQuery({ metrics: picked, layout: 'overlay', range, from: null, to: null })}`);

  return (
    <div className="app-shell">
      <PageHeader title={t('appTitle')} tagline={t('overviewTitle')}>
        <ViewNav current="overview" range={range} />
        <div className="controls">
          <Field label={t('overviewFilter')}>
            <input
              data-testid="overview-filter"
              type="search"
              value={filter}
              placeholder={t('overviewFilterHint')}
              onChange={(event) => {
                setFilter(event.target.value);
                setPage(0);
              }}
            />
          </Field>
          <RangeSelect value={range} onChange={onRangeChange} />
        </div>
        <div className="topbar-end">
          <span className={`badge badge-${connection.state}`} data-testid="connection-badge" data-state={connection.state}>
            {t(`state_${connection.state}`)}
          </span>
          <LanguageSelect />
        </div>
      </PageHeader>

      <div className="toolbar overview-toolbar">
        <span data-testid="overview-count" data-count={ordered.length}>
          {t('overviewCount', { shown: fmt.integer(ordered.length), total: fmt.integer(store.size) })}
        </span>
        <button
          type="button"
          className="button button-primary"
          data-testid="compare-picked"
          disabled={picked.length === 0}
          onClick={compare}
        >
          {t('comparePicked', { n: picked.length, max: MAX_COMPARED })}
        </button>
        {pages > 1 ? (
          <span className="overview-pager">
            <button type="button" className="button" data-testid="overview-prev" disabled={current === 0} onClick={() => setPage(current - 1)}>
              ‹
            </button>
            <span data-testid="overview-page">{t('overviewPage', { page: current + 1, pages })}</span>
            <button
              type="button"
              className="button"
              data-testid="overview-next"
              disabled={current >= pages - 1}
              onClick={() => setPage(current + 1)}
            >
              ›
            </button>
          </span>
        ) : null}
      </div>

      <main className="overview-grid" data-testid="overview" aria-label={t('overviewTitle')}>
        {shown.length === 0 ? <p className="panel-hint">{store.size ? t('overviewNoMatch') : t('noMetricsHint')}</p> : null}
        {shown.map((tile) => (
          <TileCard
            key={tile.metric}
            tile={tile}
            ts={tile.ts}
            value={tile.value}
            state={tile.state}
            sparkLength={tile.spark.length}
            sparkEnd={tile.spark[tile.spark.length - 1]?.[0] ?? 0}
            stale={isStale(tile, now)}
            picked={picked.includes(tile.metric)}
            onPick={toggle}
            range={range}
          />
        ))}
      </main>
    </div>
  );
}

interface TileCardProps {
  tile: Tile;
  // The tile object is mutated in place by the store: these props are what changes a card.
  ts: number | null;
  value: number | null;
  state: Tile['state'];
  sparkLength: number;
  sparkEnd: number;
  stale: boolean;
  picked: boolean;
  onPick: (metric: string) => void;
  range: TimeRange;
}

const TileCard = memo(function TileCard({ tile, value, state, stale, picked, onPick, range }: TileCardProps) {
  const { t, fmt } = useI18n();
  const focus = () => navigate(`/?metric=${encodeURIComponent(tile.metric)}&range=${range}`);
  return (
    <article className={`tile tile-${state}`} data-testid="overview-tile" data-metric={tile.metric} data-state={state}>
      <button type="button" className="tile-focus" onClick={focus} aria-label={t('overviewFocus', { metric: tile.metric })}>
        <span className="tile-name">{tile.label ?? tile.metric}</span>
        <span className="tile-value" data-testid="tile-value" data-value={value ?? ''}>
          {fmt.number(value)}
          {tile.unit ? <span className="tile-unit"> {tile.unit}</span> : null}
        </span>
        <svg className="tile-spark" viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} preserveAspectRatio="none" aria-hidden="true">
          <path d={sparkPath(tile.spark, SPARK_W, SPARK_H)} />
        </svg>
      </button>
      <footer className="tile-footer">
        <span className={`tile-state tile-state-${state}`} data-testid="tile-state">
          {t(`metricState_${state}`)}
        </span>
        {stale ? (
          <span className="tile-stale" data-testid="tile-stale" title={tile.ts ? fmt.dateTime(tile.ts) : ''}>
            {tile.ts ? t('overviewStale', { ago: fmt.relative(tile.ts) }) : t('noData')}
          </span>
        ) : null}
        <label className="tile-pick">
          <input type="checkbox" data-testid="tile-pick" checked={picked} onChange={() => onPick(tile.metric)} />
          {t('compareAdd')}
        </label>
      </footer>
    </article>
  );
});
