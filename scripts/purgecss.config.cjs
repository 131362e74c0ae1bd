// Which Bootstrap rules the pages keep: those whose class names appear in templates, scripts or the
// Python that sets widget classes. Classes built in templates from variables are kept by pattern.
module.exports = {
  content: [
    "templates/**/*.html",
    "static/js/*.js",
    "core/**/*.py",
    "accounts/**/*.py",
    "hazards/**/*.py",
    "reminders/**/*.py",
    "reports/**/*.py",
    "config/**/*.py",
  ],
  safelist: {
    standard: ["show", "collapse", "collapsing"],
    greedy: [/^btn-/, /^text-bg-/, /^alert-/, /^badge/],
  },
  // Custom properties stay: static/css/app.css uses them and is not scanned here.
  variables: false,
  keyframes: true,
};
