// Preloaded (NODE_OPTIONS=--require) into a CLI subprocess: prints its peak resident memory on
// exit, so a test can tell a streamed transfer from one that buffered the file.
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nmax-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
