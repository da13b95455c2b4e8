import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';

export interface SnapshotBannerProps {
  metric: string | null;
  range: TimeRange;
  createdAt: number | null;
  frozen: boolean;
  onGoLive: () => void;
}

/** Says this is a snapshot, from when, and offers to go live. */
export function SnapshotBanner({ metric, range, createdAt, frozen, onGoLive }: SnapshotBannerProps) {
  const { fmt, t } = useI18n();
  return (
    <div className="snapshot-banner" data-testid="snapshot-banner" role="region" aria-label={t('snapshot')}>
      <div>
        <strong>
          {t('snapshotBanner', {
            metric: metric ?? '—',
            range: t(`range_${range}`).toLowerCase(),
            when: createdAt !== null ? fmt.dateTime(createdAt) : '—',
            ago: createdAt !== null ? fmt.relative(createdAt) : '—',
          })}
        </strong>
        <span className="snapshot-banner-note"> {frozen ? t('snapshotFrozen') : t('snapshotHistory')}</span>
      </div>
      <button type="button" className="button button-primary" data-testid="go-live" onClick={onGoLive}>
        {t('goLive')}
      </button>
    </div>
  );
}
