/** Minimal ANSI styling, off unless stdout is a terminal and NO_COLOR is unset. */
export interface Style {
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) return { red: plain, yellow: plain, green: plain, bold: plain, dim: plain, cyan: plain };
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22), cyan: wrap(36, 39) };
}

/**
 * The offending source line with a caret under the range, compiler style:
 *
 *    17 |     maxSteps: twelve
 *       |               ^^^^^^
 */
export function codeFrame(source: string, line: number, column: number, endLine: number, endColumn: number, style: Style): string {
  const lines = source.split(/\r?\n/);
  const text = lines[line - 1];
  if (text === undefined) return '';
  const gutter = String(line).length;
  const width = endLine === line && endColumn > column ? endColumn - column : Math.max(1, text.length - column + 1);
  const caret = `${' '.repeat(Math.max(0, column - 1))}${'^'.repeat(Math.max(1, Math.min(width, 200)))}`;
  return `${style.dim(`${String(line).padStart(gutter + 1)} |`)} ${text}\n${style.dim(`${' '.repeat(gutter + 1)} |`)} ${style.red(caret)}`;
}
