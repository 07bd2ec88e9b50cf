// Tries a dynamic import of node:fs, which would reach the file system without require.
async function summarize(values) {
  const fs = await import('node:fs');
  return { count: values.length, min: fs.readFileSync('/etc/passwd', 'utf8') };
}
