import { createContext, useContext, useMemo, type ReactNode } from 'react';
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
type Dictionary = Record<MessageKey, string>;

const es: Dictionary = {
  appTitle: 'ChronoView',
  appTagline: 'Métricas en vivo',
  metric: 'Métrica',
  range: 'Rango',
  language: 'Idioma',
  noMetrics: 'Aún no hay métricas',
  range_5m: 'Últimos 5 minutos',
  range_15m: 'Últimos 15 minutos',
  range_1h: 'Última hora',
  range_6h: 'Últimas 6 horas',
  range_24h: 'Últimas 24 horas',
  state_live: 'en vivo',
  state_reconnecting: 'reconectando',
  state_offline: 'sin conexión',
  stateHint_live: 'Recibiendo puntos en tiempo real',
  stateHint_reconnecting: 'Se perdió la conexión; reintentando',
  stateHint_offline: 'No se puede contactar con el servidor; se sigue reintentando',
  stateHint_fatal: 'El servidor rechazó esta métrica',
  stateHint_snapshot: 'Instantánea: sin conexión',
  retryNow: 'Reintentar ahora',
  retryIn: 'próximo intento en {s} s',
  currentValue: 'Valor actual',
  zscore: 'puntuación z',
  baseline: 'Referencia μ ± {k}σ',
  alert: 'Alerta',
  normal: 'Normal',
  warmingUp: 'Calentando',
  alertState: 'Estado de alerta',
  noData: 'Sin datos',
  noDataHint: 'Los puntos aparecerán aquí en cuanto lleguen.',
  noMetricsHint: 'Aún no hay métricas: envía puntos a /metrics o activa el simulador.',
  offlineHint: 'No se puede contactar con el servidor. El panel se reconecta solo.',
  lineTitle: 'Valor en vivo',
  barTitle: 'Distribución',
  barHint: 'Valores visibles; las líneas discontinuas son los umbrales μ ± {k}σ',
  band: 'Banda μ ± {k}σ',
  value: 'Valor',
  count: 'Cantidad',
  time: 'Hora',
  pointsLabel: 'puntos',
  alertFeed: 'Alertas',
  noAlerts: 'No hay alertas en este rango.',
  alertsUnavailable: 'Historial de alertas no disponible.',
  newAlert: 'Nueva alerta',
  alertLine: '{metric} = {value} (z {z})',
  dismiss: 'Cerrar',
  enableNotifications: 'Activar notificaciones',
  notificationsOn: 'Notificaciones activas',
  notificationsBlocked: 'Notificaciones bloqueadas',
  notificationsOff: 'Desactivar notificaciones',
  snapshot: 'Instantánea',
  snapshotSaving: 'Guardando…',
  snapshotFailed: 'No se pudo guardar la instantánea',
  snapshotReady: 'Comparte este enlace:',
  copy: 'Copiar',
  copied: 'Copiado',
  exportCsv: 'CSV',
  exportExcel: 'Excel',
  exportExcelEu: 'Excel (UE ;)',
  exportTitle: 'Exportar',
  snapshotBanner: 'Instantánea de {metric}, {range}, tomada el {when} ({ago})',
  snapshotFrozen: 'Se muestran los datos tal como se guardaron.',
  snapshotHistory: 'Se muestra el historial hasta el momento en que se tomó.',
  snapshotLoading: 'Cargando instantánea…',
  snapshotMissing: 'Esta instantánea no existe o ha caducado.',
  goLive: 'Ver en vivo',
  loadFailed: 'No se pudo cargar el historial.',
  skipToContent: 'Saltar al gráfico',
  // h20b: themes, landmarks and chart names.
  theme: 'Tema',
  theme_system: 'Sistema',
  theme_light: 'Claro',
  theme_dark: 'Oscuro',
  toolbarLabel: 'Instantánea y exportación',
  lineChartLabel: 'Gráfico de {metric}: {range}; las flechas recorren los puntos',
  barChartLabel: 'Distribución de los valores visibles de {metric}, con los umbrales de alerta',
  // Resumen, comparación y ventana de tiempo (issue 19)
  viewNav: 'Vistas',
  view_dashboard: 'Panel',
  view_overview: 'Resumen',
  view_compare: 'Comparar',
  overviewTitle: 'Todas las métricas',
  overviewFilter: 'Filtrar',
  overviewFilterHint: 'nombre de métrica…',
  overviewCount: '{shown} de {total} métricas',
  overviewPage: 'página {page} de {pages}',
  overviewNoMatch: 'Ninguna métrica coincide con el filtro.',
  overviewFocus: 'Abrir {metric}',
  overviewStale: 'sin datos nuevos · {ago}',
  metricState_firing: 'en alerta',
  metricState_pending: 'pendiente',
  metricState_normal: 'normal',
  compareAdd: 'comparar',
  comparePicked: 'Comparar ({n}/{max})',
  compareTitle: 'Comparar métricas',
  compareMetrics: 'Métricas (hasta {max})',
  layoutOverlay: 'Un gráfico',
  layoutStacked: 'Apilados',
  layout: 'Disposición',
  legendMin: 'mín',
  legendMax: 'máx',
  legendLast: 'último',
  timeFrom: 'Desde',
  timeTo: 'Hasta',
  timeApply: 'Aplicar',
  timeCustom: 'Personalizado',
  resumeLive: 'Volver a en vivo',
  panEarlier: 'Antes',
  panLater: 'Después',
  zoomHint: 'Arrastra para ampliar, mayús+arrastrar o ← → para desplazar, doble clic para restablecer',
  badRange: '«Desde» debe ser anterior a «Hasta».',
  timePaused: 'En pausa',
  timePausedHint: 'El seguimiento en vivo está en pausa mientras se muestra una ventana fija',
  lastValueInWindow: 'Último valor de la ventana',
  // h20: visualización honesta, metadatos de métricas, exportaciones y capturas.
  state_snapshot: 'captura',
  state_waiting: 'métrica inexistente',
  stateHint_waiting: 'No se ha recibido ningún punto de esta métrica',
  state_paused: 'en pausa',
  stateHint_paused: 'Se muestra una ventana fija; el seguimiento en vivo se reanuda con «Volver a en vivo»',
  stale: 'Sin datos nuevos',
  offline: 'Sin conexión',
  staleHint: 'Ningún punto nuevo desde {ago}',
  incident_firing: 'Disparada',
  incident_pending: 'Pendiente',
  pointOne: 'punto',
  unknownMetric: 'No existe ninguna métrica llamada «{metric}». Aparecerá aquí en cuanto llegue su primer punto.',
  exportColumns: 'Columnas de puntuación z y alerta',
  exportZone: 'Horas en {zone}',
  snapshotDeleteKey: 'Clave de borrado (solo se muestra ahora):',
  copyDeleteKey: 'Copiar clave',
  firingCount: '{n} activas',
  nothingFiring: 'Nada activo',
  firingSince: 'activa desde {time}',
  pendingOf: 'Pendiente {k} de {n}',
  incidentOpened: 'Incidente abierto',
  incidentResolved: '{metric} resuelto',
  incidentsTitle: 'Incidentes',
  incidentState: 'Estado',
  incidentAll: 'Todos',
  incidentFiring: 'Activo',
  incidentResolvedState: 'Resuelto',
  incidentOnlyThis: 'Solo esta métrica',
  incidentStarted: 'Inicio',
  incidentPeak: 'Pico',
  incidentNone: 'Sin incidentes en las últimas 24 horas.',
  ruleTitle: 'Regla de alerta',
  ruleFrom: 'regla {match}',
  ruleDefaults: 'valores por defecto',
  ruleSigma: 'k (σ)',
  ruleWindow: 'Ventana W (s)',
  ruleMinPoints: 'Puntos mínimos m',
  ruleForPoints: 'Puntos en alerta para abrir',
  ruleResolveAfter: 'Resolver tras (s)',
  ruleDirection: 'Dirección',
  directionBoth: 'Ambos sentidos',
  directionAbove: 'Solo por encima',
  directionBelow: 'Solo por debajo',
  ruleEnabled: 'Activada',
  ruleSave: 'Guardar regla',
  ruleBackToDefaults: 'Volver a los valores por defecto',
  ruleSaved: 'Guardada',
  ruleBounds: '{field}: un número de {min} a {max}',
  ruleRepeat: 'Recordar cada (s)',
  ruleOptional: 'nunca',
  ruleNotify: 'Notifica a:',
  ruleNotifyDefault: 'los canales por defecto',
  ruleNotifyNone: 'nadie',
  ruleNotifyChannels: 'los canales {ids}',
  ruleChooseChannels: 'Elegir canales',
};

export const DICTIONARIES: Record<Language, Dictionary> = { en, es };

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translate(language: Language, key: MessageKey, vars?: Record<string, string | number>): string {
  const template = DICTIONARIES[language][key];
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
  const [language, setLanguage] = usePreference(
    STORAGE_KEY,
    (stored) => initialLanguage ?? (isLanguage(stored) ? stored : detectLanguage(browserLanguages())),
    applyLanguage,
  );
  const value = useMemo<I18nValue>(() => {
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
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n must be used inside <I18nProvider>');
  return value;
}
