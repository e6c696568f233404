// A render that asks Python for its first rows and waits for the reply before it draws.

async function render({ model, el }) {
  el.textContent = "asking Python for rows...";
  const rows = await new Promise((resolve) => {
    const onReply = (content) => {
      if (!content || !Array.isArray(content.rows)) return;
      model.off("msg:custom", onReply);
      resolve(content.rows);
    };
    model.on("msg:custom", onReply);
    model.send({ ask: "rows", limit: 2 });
  });
  const table = document.createElement("table");
  table.className = "rows";
  for (const [name, age] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = String(age);
  }
  el.replaceChildren(table);
  el.dataset.rows = String(rows.length);
}

export default { render };
