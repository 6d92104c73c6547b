// The operations every view offers, each behind a confirmation, in one place so the wording of
// the dialogs stays consistent.

export function powerOps(scopeLabel, url) {
  return [
    { label: 'Power on', op: 'on', danger: false },
    { label: 'Power off', op: 'off', danger: true },
    { label: 'Power cycle', op: 'cycle', danger: true },
  ].map(({ label, op, danger }) => ({
    label,
    danger,
    request: {
      title: `${label} ${scopeLabel}?`,
      message:
        op === 'on'
          ? `The relay switches ${scopeLabel} on. Pis boot and rejoin on their fixed addresses.`
          : `Every Pi of ${scopeLabel} loses power${op === 'cycle' ? ' and boots again' : ''}: anything running on them stops without a clean shutdown.`,
      confirmLabel: label,
      danger,
      url,
      body: { op },
    },
  }));
}

export function actionRequest(scopeLabel, url, name) {
  return {
    title: `Run “${name}” on ${scopeLabel}?`,
    message: `The command declared for “${name}” in rack.yaml runs over SSH on ${scopeLabel}. Results appear in the event log.`,
    confirmLabel: `Run ${name}`,
    danger: name === 'reboot',
    url,
  };
}
