// Applies the remembered theme before the app's JS loads, so a page in the other scheme does not
// flash. A file, not an inline script: the server's Content-Security-Policy allows scripts from
// 'self' only. The app (src/lib/theme.tsx) owns the setting from then on.
try {
  var theme = localStorage.getItem('chronoview.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch (error) {
  // No storage (private mode): the system's scheme.
}
