// What time it is, for the features whose rules are about time passing (grace periods, due dates,
// links that expire). The composition root passes the system clock; a test passes one it moves,
// so that "seven days later" takes no seven days.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
