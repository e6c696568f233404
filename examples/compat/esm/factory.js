// `export default` an async function returning {initialize, render}: called once per model load.
let calls = 0;

export default async function () {
  calls += 1;
  await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    render({ model, el }) {
      el.innerHTML = `<button class="bump" type="button"></button> <span class="seen"></span>`;
      const show = () => {
        el.querySelector(".bump").textContent = `value ${model.get("value")}`;
        el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`;
      };
      el.querySelector(".bump").addEventListener("click", () => {
        model.set("value", model.get("value") + 1);
        model.save_changes();
      });
      model.on("change:seen", show);
      el.dataset.factoryCalls = String(calls);
      show();
    },
  };
}
