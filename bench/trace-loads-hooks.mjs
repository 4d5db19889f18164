// Loader hooks of bench/trace-loads.mjs (they run on the loader thread): report
// each module URL that is loaded to the main thread.
let port;

export function initialize(data) {
  port = data.port;
}

export async function load(url, context, nextLoad) {
  port?.postMessage(url);
  return nextLoad(url, context);
}
