// Never rendered: the Failing widget's Python raises before the page gets a model.
export default {
  render({ el }) {
    el.textContent = "If you can read this, Failing.__init__ did not raise.";
  },
};
