/** The package version, as the MCP server and the CLI report it. Keep in step with package.json. */
export const VERSION = '0.1.0';
