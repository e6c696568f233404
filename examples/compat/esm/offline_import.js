// Imports a library from a CDN, as many published widgets do. On a site that runs offline the
// import fails; the widget's error must name this URL and say why (examples/compat CdnImport).
import { extent } from "https://cdn.jsdelivr.net/npm/d3-array@3.2.4/+esm";

export default {
  render({ el }) {
    el.textContent = `d3-array from the CDN: extent of [3, 1, 2] is ${extent([3, 1, 2])}`;
  },
};
