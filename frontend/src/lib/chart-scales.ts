/**
 * The d3 scales Recharts may build for our charts, in place of `victory-vendor/d3-scale` (see
 * vite.config.ts). Recharts looks scales up by name in that module's namespace, so the bundler keeps
 * every scale d3-scale has, the time scales with their calendar and locale code included (≈ 6 kB
 * compressed on the first screen). Our axes ask only for these: `auto` resolves to linear (numbers)
 * or band / point (categories); time axes are linear over epoch ms with ticks of our own (ticks.ts).
 * A scale name missing here makes Recharts fall back to a point scale.
 */
export { scaleBand, scaleLinear, scalePoint } from 'd3-scale';
