import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { getFormatters, type Formatters } from './format';
import { usePreference } from './preference';

export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  appTitle: 'ChronoView',
  appTagline: 'Live metrics',
  metric: 'Metric',
  range: 'Range',
  language: 'Language',
  noMetrics: 'No metrics yet',
  range_5m: 'Last 5 minutes',
  range_15m: 'Last 15 minutes',
  range_1h: 'Last hour',
  range_6h: 'Last 6 hours',
  range_24h: 'Last 24 hours',
  state_live: 'live',
  state_reconnecting: 'reconnecting',
  state_offline: 'offline',
  stateHint_live: 'Receiving points as they arrive',
  stateHint_reconnecting: 'Connection lost; retrying',
  stateHint_offline: 'Cannot reach the server; still retrying',
  stateHint_fatal: 'The server refused this metric',
  stateHint_snapshot: 'Snapshot: not connected',
  retryNow: 'Retry now',
  retryIn: 'next try in {s} s',
  currentValue: 'Current value',
  zscore: 'z-score',
  baseline: 'Baseline μ ± {k}σ',
  alert: 'Alert',
  normal: 'Normal',
  warmingUp: 'Warming up',
  alertState: 'Alert state',
  noData: 'No data',
  noDataHint: 'Points will appear here as soon as they arrive.',
  noMetricsHint: 'No metrics yet: post points to /metrics or turn on the simulator.',
  offlineHint: 'The server is unreachable. The dashboard reconnects by itself.',
  lineTitle: 'Live value',
  barTitle: 'Distribution',
  barHint: 'Visible values; dashed lines are the alert thresholds μ ± {k}σ',
  band: 'μ ± {k}σ band',
  value: 'Value',
  count: 'Count',
  time: 'Time',
  pointsLabel: 'points',
  alertFeed: 'Alerts',
  noAlerts: 'No alerts in this range.',
  alertsUnavailable: 'Alert history unavailable.',
  newAlert: 'New alert',
  alertLine: '{metric} = {value} (z {z})',
  dismiss: 'Dismiss',
  enableNotifications: 'Enable notifications',
  notificationsOn: 'Notifications on',
  notificationsBlocked: 'Notifications blocked',
  notificationsOff: 'Turn notifications off',
  snapshot: 'Snapshot',
  snapshotSaving: 'Saving…',
  snapshotFailed: 'Could not save the snapshot',
  snapshotReady: 'Share this link:',
  copy: 'Copy',
  copied: 'Copied',
  exportCsv: 'CSV',
  exportExcel: 'Excel',
  exportExcelEu: 'Excel (EU ;)',
  exportTitle: 'Export',
  snapshotBanner: 'Snapshot of {metric}, {range}, taken {when} ({ago})',
  snapshotFrozen: 'Showing the data as it was saved.',
  snapshotHistory: 'Showing the history up to when it was taken.',
  snapshotLoading: 'Loading snapshot…',
  snapshotMissing: 'This snapshot does not exist or has expired.',
  goLive: 'Go live',
  loadFailed: 'Could not load the history.',
  skipToContent: 'Skip to the chart',
  // h20b: themes, landmarks and chart names.
  theme: 'Theme',
  theme_system: 'System',
  theme_light: 'Light',
  theme_dark: 'Dark',
  toolbarLabel: 'Snapshot and export',
  lineChartLabel: 'Chart of {metric} over the {range}; arrow keys step through the points',
  barChartLabel: 'Distribution of the visible values of {metric}, with the alert thresholds',
  // Overview, compare and time window (issue 19)
  viewNav: 'Views',
  view_dashboard: 'Dashboard',
  view_overview: 'Overview',
  view_compare: 'Compare',
  overviewTitle: 'Every metric',
  overviewFilter: 'Filter',
  overviewFilterHint: 'metric name…',
  overviewCount: '{shown} of {total} metrics',
  overviewPage: 'page {page} of {pages}',
  overviewNoMatch: 'No metric matches the filter.',
  overviewFocus: 'Open {metric}',
  overviewStale: 'stale · {ago}',
  metricState_firing: 'firing',
  metricState_pending: 'pending',
  metricState_normal: 'normal',
  compareAdd: 'compare',
  comparePicked: 'Compare ({n}/{max})',
  compareTitle: 'Compare metrics',
  compareMetrics: 'Metrics (up to {max})',
  layoutOverlay: 'One chart',
  layoutStacked: 'Stacked',
  layout: 'Layout',
  legendMin: 'min',
  legendMax: 'max',
  legendLast: 'last',
  timeFrom: 'From',
  timeTo: 'To',
  timeApply: 'Apply',
  timeCustom: 'Custom',
  resumeLive: 'Resume live',
  panEarlier: 'Earlier',
  panLater: 'Later',
  zoomHint: 'Drag to zoom, shift-drag or ← → to pan, double-click to reset',
  badRange: 'From must be before To.',
  timePaused: 'Paused',
  timePausedHint: 'Live following is paused while a fixed window is shown',
  lastValueInWindow: 'Last value in window',
  // h20: honest display, metric meta, exports and snapshots.
  state_snapshot: 'snapshot',
  state_waiting: 'no such metric',
  stateHint_waiting: 'No point of this metric has been received',
  state_paused: 'paused',
  stateHint_paused: 'A fixed window is shown; live following resumes with "Resume live"',
  stale: 'Stale',
  offline: 'Offline',
  staleHint: 'No new point since {ago}',
  incident_firing: 'Firing',
  incident_pending: 'Pending',
  pointOne: 'point',
  unknownMetric: 'There is no metric named “{metric}”. It will show here as soon as its first point arrives.',
  exportColumns: 'z-score and alert columns',
  exportZone: 'Times in {zone}',
  snapshotDeleteKey: 'Delete key (shown only now):',
  copyDeleteKey: 'Copy key',
  firingCount: '{n} firing',
  nothingFiring: 'Nothing firing',
  firingSince: 'firing since {time}',
  pendingOf: 'Pending {k} of {n}',
  incidentOpened: 'Incident opened',
  incidentResolved: '{metric} resolved',
  incidentsTitle: 'Incidents',
  incidentState: 'State',
  incidentAll: 'All',
  incidentFiring: 'Firing',
  incidentResolvedState: 'Resolved',
  incidentOnlyThis: 'This metric only',
  incidentStarted: 'Started',
  incidentPeak: 'Peak',
  incidentNone: 'No incidents in the last 24 hours.',
  ruleTitle: 'Alert rule',
  ruleFrom: 'rule {match}',
  ruleDefaults: 'defaults',
  ruleSigma: 'k (σ)',
  ruleWindow: 'Window W (s)',
  ruleMinPoints: 'Minimum points m',
  ruleForPoints: 'Alerting points to open',
  ruleResolveAfter: 'Resolve after (s)',
  ruleDirection: 'Direction',
  directionBoth: 'Both ways',
  directionAbove: 'Above only',
  directionBelow: 'Below only',
  ruleEnabled: 'Enabled',
  ruleSave: 'Save rule',
  ruleBackToDefaults: 'Back to defaults',
  ruleSaved: 'Saved',
  ruleBounds: '{field}: a number from {min} to {max}',
  ruleRepeat: 'Remind every (s)',
  ruleOptional: 'none',
  ruleNotify: 'Notifies:',
  ruleNotifyDefault: 'the default channels',
  ruleNotifyNone: 'nobody',
  ruleNotifyChannels: 'channels {ids}',
  ruleChooseChannels: 'Choose channels',
} as const;

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

export const ENGLISH: Dictionary = en;

/** English is built in; another language's words are fetched the first time it is chosen. */
const dictionaries: Partial<Record<Language, Dictionary>> = { en };
const LOADERS: Record<Language, () => Promise<Dictionary>> = {
  en: () => Promise.resolve(en),
  es: () => import('./i18n-es').then((module) => module.es),
};

export async function loadLanguage(language: Language): Promise<Dictionary> {
  const dictionary = dictionaries[language] ?? (await LOADERS[language]());
  dictionaries[language] = dictionary;
  return dictionary;
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** The text of `key` in `language`, in English while that language is still being fetched. */
export function translate(language: Language, key: MessageKey, vars?: Record<string, string | number>): string {
  const template = (dictionaries[language] ?? en)[key];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match));
}

/** Spanish for any `es*` browser language, English otherwise. */
export function detectLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'es') return 'es';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** The locale for Intl: the browser's own tag when it is of the chosen language (es-MX stays es-MX). */
export function localeFor(language: Language, languages: readonly string[]): string {
  const own = languages.find((tag) => tag.toLowerCase().split('-')[0] === language);
  return own ?? (language === 'es' ? 'es-ES' : 'en-US');
}

/** The 12- or 24-hour clock of the viewer's own locale (their first browser language). */
export function hourCycleFor(languages: readonly string[]): Intl.DateTimeFormatOptions['hourCycle'] {
  const tag = languages[0];
  if (!tag) return undefined;
  try {
    return new Intl.DateTimeFormat(tag, { hour: 'numeric' }).resolvedOptions().hourCycle;
  } catch {
    return undefined;
  }
}

const STORAGE_KEY = 'chronoview.language';

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

function applyLanguage(language: Language): void {
  document.documentElement.lang = language;
}

interface I18nValue {
  language: Language;
  locale: string;
  setLanguage: (language: Language) => void;
  t: Translate;
  fmt: Formatters;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children, initialLanguage }: { children: ReactNode; initialLanguage?: Language }) {
  const [chosen, setLanguage] = usePreference(
    STORAGE_KEY,
    (stored) => initialLanguage ?? (isLanguage(stored) ? stored : detectLanguage(browserLanguages())),
    applyLanguage,
  );
  // The language on screen: the chosen one once its words are here. Until then the previous one
  // stays (a switch) or nothing is drawn (a first screen in a language not fetched yet).
  const [language, setShown] = useState<Language | null>(() => (dictionaries[chosen] ? chosen : null));
  useEffect(() => {
    let current = true;
    loadLanguage(chosen)
      .then(
        () => chosen,
        () => 'en' as const, // its words cannot be fetched: English
      )
      .then((shown) => {
        if (current) setShown(shown);
      });
    return () => {
      current = false;
    };
  }, [chosen]);
  const value = useMemo<I18nValue | null>(() => {
    if (language === null) return null;
    const languages = browserLanguages();
    const locale = localeFor(language, languages);
    return {
      language,
      locale,
      setLanguage,
      t: (key, vars) => translate(language, key, vars),
      fmt: getFormatters(locale, undefined, hourCycleFor(languages)),
    };
  }, [language, setLanguage]);
  return value ? <I18nContext.Provider value={value}>{children}</I18nContext.Provider> : null;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n must be used inside <I18nProvider>');
  return value;
}
