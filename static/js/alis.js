// ALIS pages: the supervision form shows the field that belongs to the chosen kind (supervisor for an
// individual session, group leader for a group), and buttons swapped in by htmx keep their confirmation.
(function () {
  const toggle = (form) => {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    const group = kind.value === "gruppe";
    const supervisor = form.querySelector("#div_id_supervisor");
    const leader = form.querySelector("#div_id_group_leader");
    // hide the grid column around the field, so the other fields close up
    if (supervisor) (supervisor.closest("[class*='col-']") || supervisor).hidden = group;
    if (leader) (leader.closest("[class*='col-']") || leader).hidden = !group;
  };
  const setup = (root) => {
    root.querySelectorAll("form[data-session-form]").forEach(toggle);
  };
  document.addEventListener("change", (event) => {
    if (event.target.matches("form[data-session-form] select[name=kind]")) toggle(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", () => setup(document));
  // htmx:load fires for every piece of swapped-in content (and once for <body>, which app.js already covers).
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (root === document.body) return;
    setup(root);
    root.querySelectorAll("[data-confirm]").forEach((element) => {
      element.addEventListener("click", (click) => {
        if (!window.confirm(element.dataset.confirm)) click.preventDefault();
      });
    });
  });
})();
