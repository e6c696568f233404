// Two traits set from the page: `plain` (echoed back by Python) and `quiet` (echo_update=False).
export default {
  render({ model, el }) {
    el.innerHTML = `<button class="set" type="button">set both</button> <button class="report" type="button">ask Python</button>`;
    model.on("msg:custom", (content) => {
      if (content?.op === "report") el.dataset.report = JSON.stringify(content.report);
    });
    el.querySelector(".set").addEventListener("click", () => {
      model.set({ plain: 7, quiet: 8 });
      model.save_changes();
    });
    el.querySelector(".report").addEventListener("click", () => {
      el.dataset.page = JSON.stringify({ plain: model.get("plain"), quiet: model.get("quiet") });
      model.send({ op: "report" });
    });
  },
};
