// Runs before the page paints (a classic script in <head>): the remembered theme, else the system's.
(function () {
  var chosen = null;
  try { chosen = localStorage.getItem('podium.theme'); } catch (e) { /* storage disabled */ }
  var dark = chosen ? chosen === 'dark' : !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}());
