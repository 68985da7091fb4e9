"""PDFium may be used by one thread at a time: gunicorn's threads checking PDFs at once gave wrong word counts,
refused good files and crashed the worker (found by the deadline-surge test, issue 9). Run in a child process, so
a crash fails the test instead of killing the test run."""

import subprocess
import sys
import textwrap

from django.conf import settings

SCRIPT = textwrap.dedent(
    """
    import collections, io, threading
    import django
    django.setup()
    from assessment.anonymity import names_found
    from assessment.documents import check_document
    from tests.assessment.docfiles import pdf_with_words

    pdfs = {n: pdf_with_words(n, seed=n) for n in (400, 900, 1300)}
    counts, errors = collections.Counter(), []

    def work(k):
        for i in range(25):
            words = (400, 900, 1300)[(k + i) % 3]
            try:
                checked = check_document(
                    io.BytesIO(pdfs[words]), allowed=["pdf"], max_bytes=20 << 20, label="main document", field="main"
                )
                names_found(pdfs[words], "pdf", full_name="Priya Patel", email="p@example.org")
                counts[(words, checked.words)] += 1
            except Exception as error:
                errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrong = {pair: n for pair, n in counts.items() if pair[0] != pair[1]}
    print("counted", sum(counts.values()), "wrong", wrong, "errors", errors[:3])
    assert not wrong and not errors and sum(counts.values()) == 250
    """
)


def test_ten_threads_checking_pdfs_at_once_count_every_word_exactly():
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=settings.BASE_DIR,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "npqel.settings.test"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "counted 250 wrong {} errors []" in result.stdout
