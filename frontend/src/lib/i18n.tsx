import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { getFormatters, type Formatters } from './format';

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
  stateHint_snapshot: 'Snapshot: sin conexión',
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
  snapshot: 'Snapshot',
  snapshotSaving: 'Guardando…',
  snapshotFailed: 'No se pudo guardar el snapshot',
  snapshotReady: 'Comparte este enlace:',
  copy: 'Copiar',
  copied: 'Copiado',
  exportCsv: 'CSV',
  exportExcel: 'Excel',
  exportExcelEu: 'Excel (UE ;)',
  exportTitle: 'Exportar',
  snapshotBanner: 'Snapshot de {metric}, {range}, tomado el {when} ({ago})',
  snapshotFrozen: 'Se muestran los datos tal como se guardaron.',
  snapshotHistory: 'Se muestra el historial hasta el momento en que se tomó.',
  snapshotLoading: 'Cargando snapshot…',
  snapshotMissing: 'Este snapshot no existe o ha caducado.',
  goLive: 'Ver en vivo',
  loadFailed: 'No se pudo cargar el historial.',
  skipToContent: 'Saltar al gráfico',
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

const STORAGE_KEY = 'chronoview.language';

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

function storedLanguage(): Language | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' || value === 'es' ? value : null;
  } catch {
    return null;
  }
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
  const [language, setLanguageState] = useState<Language>(
    () => initialLanguage ?? storedLanguage() ?? detectLanguage(browserLanguages()),
  );
  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo<I18nValue>(() => {
    const locale = localeFor(language, browserLanguages());
    return {
      language,
      locale,
      setLanguage,
      t: (key, vars) => translate(language, key, vars),
      fmt: getFormatters(locale),
    };
  }, [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n must be used inside <I18nProvider>');
  return value;
}
