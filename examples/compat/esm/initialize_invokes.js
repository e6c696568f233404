// An initialize that awaits experimental.invoke; Python's command sets `loaded` before it answers,
// so initialize sees that update first. Render draws what initialize got.
const got = new Map();

export default {
  async initialize({ model, experimental }) {
    const [response] = await experimental.invoke("first_rows", { limit: 3 });
    got.set(model.model_id, { rows: response.rows, loaded: model.get("loaded") });
  },
  render({ model, el }) {
    const { rows, loaded } = got.get(model.model_id);
    el.dataset.loadedAtInitialize = String(loaded);
    el.innerHTML = `<ul class="rows">${rows.map((r) => `<li>${r}</li>`).join("")}</ul>`;
  },
};
