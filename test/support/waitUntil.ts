// Waiting for something another task does (a loop polling a venue, a server answering), without
// reading the clock: up to `tries` naps of `napMs`. A test that needs it to happen asserts afterwards;
// how long it took is never part of what a test checks.
export async function waitUntil(done: () => boolean, tries = 400, napMs = 25): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, napMs));
  }
  return done();
}
