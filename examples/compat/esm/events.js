// model.on / off: change:x arguments, change, and off with wildcards (Backbone semantics).
export default {
  render({ model, el }) {
    el.innerHTML = `<button class="bump" type="button">bump in Python</button>
      <button class="off-all" type="button">off()</button> <button class="read" type="button">read</button>`;
    const fired = [];
    let changes = 0;
    const write = () => {
      el.dataset.fired = fired.join(",");
      el.dataset.changes = String(changes);
    };
    model.on("change:count", (m, value) => {
      el.dataset.args = JSON.stringify({ first_is_model: typeof m?.get === "function" && m.get("count") === value, value });
      write();
    });
    model.on("change", () => {
      changes += 1;
      write();
    });
    const a = () => fired.push("a");
    const b = () => fired.push("b");
    const c = () => fired.push("c");
    model.on("change:count", a);
    model.on("change", a);
    model.on("change:count", b);
    model.on("change:other", c);
    model.off(null, a); // every event, this callback
    model.off("change:other"); // this event, every callback
    el.querySelector(".bump").addEventListener("click", () => model.send({ op: "bump" }));
    el.querySelector(".off-all").addEventListener("click", () => {
      model.off(); // everything this view registered
      el.dataset.offAll = "done";
    });
    el.querySelector(".read").addEventListener("click", () => {
      el.dataset.count = String(model.get("count"));
      write();
    });
    write();
  },
};
