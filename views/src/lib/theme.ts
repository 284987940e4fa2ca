/**
 * Colours for the canvas, resolved from the page's CSS (style.css): the host's style variables
 * when it sends them, our light or dark defaults otherwise. A canvas needs concrete colours, so
 * each one is resolved through a probe element (`light-dark()` and `var()` included).
 */
export interface Palette {
  dark: boolean;
  bg: string;
  fg: string;
  muted: string;
  border: string;
  grid: string;
  up: string;
  down: string;
  ema20: string;
  ema50: string;
  band: string;
  support: string;
  resistance: string;
  entry: string;
  stop: string;
  target: string;
  bench1: string;
  bench2: string;
  font: string;
}

const TOKENS = [
  'bg',
  'fg',
  'muted',
  'border',
  'grid',
  'up',
  'down',
  'ema20',
  'ema50',
  'band',
  'support',
  'resistance',
  'entry',
  'stop',
  'target',
  'bench1',
  'bench2',
] as const;

export function readPalette(): Palette {
  const probe = document.createElement('span');
  probe.style.display = 'none';
  document.body.append(probe);
  const colour = (token: string): string => {
    probe.style.color = `var(--${token})`;
    return toRgb(getComputedStyle(probe).color);
  };
  const out = Object.fromEntries(TOKENS.map((t) => [t, colour(t)])) as Record<(typeof TOKENS)[number], string>;
  probe.remove();
  return { ...out, dark: luminance(out.bg) < 0.4, font: getComputedStyle(document.body).fontFamily };
}

let pixel: CanvasRenderingContext2D | null = null;

/** Any CSS colour (oklch, color(), hex...) as `rgb(r, g, b)`, through a 1×1 canvas. */
function toRgb(css: string): string {
  pixel ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!pixel) return css;
  pixel.clearRect(0, 0, 1, 1);
  pixel.fillStyle = '#000';
  pixel.fillStyle = css;
  pixel.fillRect(0, 0, 1, 1);
  const [r, g, b] = pixel.getImageData(0, 0, 1, 1).data;
  return `rgb(${r}, ${g}, ${b})`;
}

/** Relative luminance (0 black, 1 white) of an `rgb(...)`/`rgba(...)` colour. */
export function luminance(rgb: string): number {
  const [r = 0, g = 0, b = 0] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

/** `rgb(a, b, c)` with an alpha. */
export function alpha(rgb: string, a: number): string {
  const [r = 0, g = 0, b = 0] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
  return `rgba(${r}, ${g}, ${b}, ${a})`;
}
