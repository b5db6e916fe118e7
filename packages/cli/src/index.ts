export { commandNames, loadCommands, main, processIo } from './main.js';
export type { MainOptions } from './main.js';
export { EXIT_CODES, ExitCode } from './command.js';
export type { Command, Io } from './command.js';
export { CliError, CliErrorCode } from './errors.js';
export { ValidateReport, ReportIssue } from './report.js';
