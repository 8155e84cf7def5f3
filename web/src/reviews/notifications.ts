import { useSyncExternalStore } from 'react';
import { type Review, reviewName } from './reviews';

const STORAGE_KEY = 'arbiter.notifications';
const listeners = new Set<() => void>();

function supported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** Off unless this browser was told otherwise and the person granted the permission. */
function enabled(): boolean {
  return supported() && Notification.permission === 'granted' && localStorage.getItem(STORAGE_KEY) === 'on';
}

/** Asks the browser for permission the first time; turning it off only forgets the choice here. */
export async function setNotifications(on: boolean): Promise<void> {
  if (on && supported() && Notification.permission !== 'granted') await Notification.requestPermission();
  localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
  for (const l of listeners) l();
}

export function useNotifications(): { supported: boolean; on: boolean; denied: boolean } {
  const on = useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    enabled,
  );
  return { supported: supported(), on, denied: supported() && Notification.permission === 'denied' };
}

/** A new review while the tab is hidden: a system notification that brings the review up when clicked. */
export function notifyNewReview(review: Review): void {
  if (!enabled() || document.visibilityState !== 'hidden') return;
  const note = new Notification('Arbiter: a review waits', { body: `${reviewName(review)}: ${review.reason ?? 'held for review'}`, tag: review.id });
  note.onclick = () => {
    window.focus();
    window.location.assign(`/reviews/${review.id}`);
  };
}
