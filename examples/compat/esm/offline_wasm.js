// Fetches a wasm file from a CDN in render (the URL is the `url` trait). On a site that runs
// offline the fetch fails; the widget's error must name the URL and say why (examples/compat CdnWasm).
export default {
  async render({ model, el }) {
    el.textContent = "fetching the wasm…";
    const bytes = await (await fetch(model.get("url"))).arrayBuffer();
    const module = await WebAssembly.compile(bytes);
    el.textContent = `compiled ${bytes.byteLength} bytes of wasm (${WebAssembly.Module.exports(module).length} exports)`;
  },
};
