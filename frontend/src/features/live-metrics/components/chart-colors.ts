import type { CSSProperties } from 'react';
import { useColorScheme, type ColorScheme } from '@/lib/theme';

export interface ChartColors {
  line: string;
  band: string;
  alert: string;
  alertRing: string;
  grid: string;
  axis: string;
  bar: string;
  threshold: string;
  tooltipBg: string;
  tooltipText: string;
}

// Chosen for contrast against the panel background in each scheme (WCAG AA for the axis text).
const LIGHT: ChartColors = {
  line: '#0369a1',
  band: '#0ea5e9',
  alert: '#dc2626',
  alertRing: '#ffffff',
  grid: '#e2e8f0',
  axis: '#475569',
  bar: '#0284c7',
  threshold: '#b91c1c',
  tooltipBg: '#ffffff',
  tooltipText: '#0f172a',
};

const DARK: ChartColors = {
  line: '#38bdf8',
  band: '#38bdf8',
  alert: '#fb7185',
  alertRing: '#0b1222',
  grid: '#1e293b',
  axis: '#94a3b8',
  bar: '#38bdf8',
  threshold: '#fb7185',
  tooltipBg: '#0f172a',
  tooltipText: '#e2e8f0',
};

/** What both charts share: their colours, the props of every axis, the tooltip box and the
 * readout's colours. One constant object per scheme, so Recharts sees the same identities on every
 * render (it re-syncs its store when a prop object changes). */
export interface ChartTheme {
  colors: ChartColors;
  axis: { stroke: string; tick: { fill: string; fontSize: number }; interval: 0 };
  tooltip: CSSProperties;
  readout: { cursor: string; dot: string; bg: string; text: string };
}

function chartTheme(colors: ChartColors): ChartTheme {
  return {
    colors,
    axis: { stroke: colors.axis, tick: { fill: colors.axis, fontSize: 12 }, interval: 0 },
    tooltip: { background: colors.tooltipBg, color: colors.tooltipText, borderRadius: 8 },
    readout: { cursor: colors.axis, dot: colors.line, bg: colors.tooltipBg, text: colors.tooltipText },
  };
}

const THEMES: Record<ColorScheme, ChartTheme> = { light: chartTheme(LIGHT), dark: chartTheme(DARK) };

export function useChartTheme(): ChartTheme {
  return THEMES[useColorScheme()];
}
