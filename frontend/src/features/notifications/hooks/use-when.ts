import { useI18n } from '@/lib/i18n';

/** A server timestamp (ISO text, or none) as the viewer's locale writes a date and time. */
export function useWhen(): (iso: string | null) => string {
  const { locale } = useI18n();
  return (iso) => (iso ? new Date(iso).toLocaleString(locale) : '');
}
