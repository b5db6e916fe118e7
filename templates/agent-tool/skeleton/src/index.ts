export { Input, NAME, Output, SIDE_EFFECTS, tool, VERSION } from './tool.js';
