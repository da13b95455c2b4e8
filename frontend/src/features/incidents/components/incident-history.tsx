import { useEffect, useState } from 'react';
import { SelectInput } from '@/components/select';
import { useI18n } from '@/lib/i18n';
import { fetchIncidents, type Incident } from '../api/incidents';

/** Incidents of the last day, newest first, filtered by state and metric. */
export function IncidentHistory({ metric, refreshKey }: { metric: string | null; refreshKey: number }) {
  const { t, fmt } = useI18n();
  const [state, setState] = useState('');
  const [onlyThis, setOnlyThis] = useState(false);
  const [rows, setRows] = useState<Incident[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    fetchIncidents(
      { state: state || undefined, metric: onlyThis && metric ? metric : undefined, hours: 24 },
      controller.signal,
    )
      .then(setRows)
      .catch(() => undefined);
    return () => controller.abort();
  }, [state, onlyThis, metric, refreshKey]);

  return (
    <section className="panel incident-panel" aria-labelledby="incident-title" data-testid="incident-history">
      <h2 id="incident-title" className="panel-title">
        {t('incidentsTitle')}
      </h2>
      <div className="incident-filters">
        <SelectInput
          ariaLabel={t('incidentState')}
          value={state}
          options={[
            { value: '', label: t('incidentAll') },
            { value: 'firing', label: t('incidentFiring') },
            { value: 'resolved', label: t('incidentResolvedState') },
          ]}
          onChange={setState}
        />
        <label>
          <input type="checkbox" checked={onlyThis} onChange={(event) => setOnlyThis(event.target.checked)} />{' '}
          {t('incidentOnlyThis')}
        </label>
      </div>
      {rows.length ? (
        <table className="incident-table">
          <thead>
            <tr>
              <th>{t('metric')}</th>
              <th>{t('incidentState')}</th>
              <th>{t('incidentStarted')}</th>
              <th>{t('incidentPeak')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((incident) => (
              <tr key={incident.id} data-state={incident.state}>
                <td>{incident.metric}</td>
                <td>{incident.state === 'firing' ? t('incidentFiring') : t('incidentResolvedState')}</td>
                <td>{fmt.dateTime(incident.startedAt)}</td>
                <td>
                  {fmt.number(incident.peakValue)} (z {fmt.zscore(incident.peakZscore)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="panel-hint">{t('incidentNone')}</p>
      )}
    </section>
  );
}
