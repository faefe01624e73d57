/**
 * Which WebGL renderer would run gpu.js kernels, and whether it is real graphics hardware.
 *
 * The honesty rule of the GPU path: a software renderer (SwiftShader, llvmpipe, ...) runs shaders on
 * the CPU, about ten times slower than Sieve's own kernels, so Sieve never picks it by itself. The
 * renderer's name comes from the WEBGL_debug_renderer_info extension; where a browser hides it, the
 * plain RENDERER string is all there is, and an unrecognizable name is treated as "not known to be
 * hardware" (refused) rather than guessed to be a GPU.
 */

/** Substrings (lower case) of renderer names that mean the shaders run on the CPU. */
const SOFTWARE_RENDERER_MARKERS = [
  'swiftshader', // Chromium's fallback (also behind ANGLE: "ANGLE (Google, Vulkan ... (SwiftShader Device ...")
  'llvmpipe', // Mesa's LLVM software rasterizer
  'softpipe', // Mesa's reference software rasterizer
  'lavapipe', // Mesa's software Vulkan, which ANGLE may sit on
  'software', // "Software Rasterizer", "Google SwiftShader (Software)", Mesa "offscreen" software paths
  'microsoft basic render', // Windows' WARP
  'mesa offscreen',
] as const;

/** Names browsers report when they mask the real renderer (nothing can be concluded from them). */
const MASKED_RENDERER_NAMES = ['webkit webgl', 'mozilla', 'generic renderer'] as const;

export function isSoftwareRenderer(renderer: string): boolean {
  const name = renderer.toLowerCase();
  return SOFTWARE_RENDERER_MARKERS.some((marker) => name.includes(marker));
}

export interface WebGlProbe {
  /** The unmasked renderer name, or the plain RENDERER string where the extension is missing. */
  readonly renderer: string;
  /** True when the name came from WEBGL_debug_renderer_info (the plain string is often masked). */
  readonly unmasked: boolean;
  readonly webgl2: boolean;
  readonly maxTextureSize: number;
  /**
   * The canvas and WebGL context gpu.js will draw with, so the kernels run exactly where we looked.
   * Typed `object` so that Sieve's published types do not require the DOM library.
   */
  readonly canvas: object;
  readonly context: object;
}

export type ProbeResult =
  | { readonly ok: true; readonly probe: WebGlProbe }
  | { readonly ok: false; readonly reason: string };

function makeCanvas(): HTMLCanvasElement | OffscreenCanvas | null {
  const g = globalThis as { document?: Document; OffscreenCanvas?: typeof OffscreenCanvas };
  if (g.document?.createElement) return g.document.createElement('canvas');
  if (g.OffscreenCanvas) return new g.OffscreenCanvas(1, 1);
  return null;
}

/** Open a WebGL2 (else WebGL1) context and read its renderer. Never throws. */
export function probeWebGl(): ProbeResult {
  const canvas = makeCanvas();
  if (canvas === null) {
    return { ok: false, reason: 'no canvas in this environment (Node has no WebGL; gpu.js would run on the CPU here)' };
  }
  let context: WebGL2RenderingContext | WebGLRenderingContext | null = null;
  try {
    context =
      (canvas.getContext('webgl2') as WebGL2RenderingContext | null) ??
      (canvas.getContext('webgl') as WebGLRenderingContext | null);
  } catch (e) {
    return { ok: false, reason: `creating a WebGL context failed: ${String(e)}` };
  }
  if (context === null) return { ok: false, reason: 'neither WebGL2 nor WebGL is available' };
  const info = context.getExtension('WEBGL_debug_renderer_info');
  const unmaskedName = info === null ? null : context.getParameter(info.UNMASKED_RENDERER_WEBGL);
  const renderer = String(unmaskedName ?? context.getParameter(context.RENDERER));
  const webgl2 = typeof WebGL2RenderingContext !== 'undefined' && context instanceof WebGL2RenderingContext;
  const maxTextureSize = Number(context.getParameter(context.MAX_TEXTURE_SIZE));
  return { ok: true, probe: { renderer, unmasked: unmaskedName !== null, webgl2, maxTextureSize, canvas, context } };
}

/** Why a probed renderer must not be used automatically, or null if it looks like real hardware. */
export function refusalReason(probe: WebGlProbe): string | null {
  if (isSoftwareRenderer(probe.renderer)) {
    return `the WebGL renderer is software (${probe.renderer}): slower than the CPU backends`;
  }
  const name = probe.renderer.toLowerCase();
  if (!probe.unmasked && MASKED_RENDERER_NAMES.some((masked) => name === masked || name.startsWith(masked))) {
    return `the browser masks the WebGL renderer ('${probe.renderer}'), so it is not known to be a hardware GPU`;
  }
  return null;
}
