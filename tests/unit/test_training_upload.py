"""Your own sentence pairs: bad rows counted with their line numbers, a non-TSV refused with one message, a small
tokenizer and Transformer trained into a session folder that is removed afterwards, nothing pickled."""
import gc

import pytest

from seqviz.checkpoints import load_checkpoint
from seqviz.data import generate_corpus
from seqviz.labs import training_upload as up
from seqviz.labs.training_runner import LiveRun


def tsv(pairs) -> bytes:
    return "".join(f"{en}\t{fr}\n" for en, fr in pairs).encode()


def test_bad_rows_are_counted_with_line_numbers():
    good = tsv(generate_corpus(30, seed=0))
    data = b"the cat\tle chat\n" + b"no tab here\n" + b"\tle chien\n" + b"\xff\xfe broken\tcasse\n" + good + \
        b"word " * 100 + b"\tmot\n"
    checked = up.check_upload(data)
    assert checked.bad == {"no_tab": [2], "empty": [3], "bytes": [4]}
    assert len(checked.pairs) == 32 and checked.lines[0] == 1
    report = checked.report()
    assert report[0] == "1 row(s) with no tab between the two sentences (line 2) were left out."
    many = up.check_upload(b"a\tb\n" + b"x\n" * 7)
    assert many.report() == ["7 row(s) with no tab between the two sentences (line 2, 3, 4, 5, 6 …) were left out."]


@pytest.mark.parametrize("data, message", [
    (b"just some prose\nwithout any tabs\n", "not a TSV: no line has a tab"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    (b"# only a comment\n\n", "no sentence pairs"),
    (b"a\tb\n" * (up.MAX_BYTES // 4 + 1), "the limit is 5 MB"),
])
def test_files_that_cannot_be_used_get_one_message(data, message):
    with pytest.raises(up.UploadError, match=message):
        up.check_upload(data)


def test_trains_into_a_session_folder_that_is_removed():
    folder = up.SessionFolder()
    path = folder.path
    short = [p for p in generate_corpus(600, seed=0) if len(p[0].split()) <= 12][:300]
    checked = up.check_upload(tsv(short) + b"long " * 150 + b"\tlong\n")
    trainer = up.PairsTrainer(checked, path, up.UploadConfig(steps=6, report_every=3, vocab_size=300))
    assert checked.bad["too_long"] == [301]
    run = LiveRun(trainer)
    run.start()
    run.join(300)
    assert run.status == "done" and [r.step for r in trainer.reports] == [3, 6]
    assert trainer.reports[-1].valid_loss > 0 and isinstance(trainer.reports[-1].sample, str)
    saved = trainer.save()
    assert up.session_checkpoint({up.SESSION_KEY: str(saved)}) == saved and up.session_checkpoint({}) is None
    assert saved.parent == path and load_checkpoint(saved).model.config.vocab_size == trainer.tokenizer.vocab_size
    assert not list(path.glob("*.pkl")) and not list(path.glob("*.pt"))
    del folder, run, trainer
    gc.collect()
    assert not path.exists()  # the session's folder went with its object


def test_too_few_pairs():
    folder = up.SessionFolder()
    with pytest.raises(up.UploadError, match="at least 20"):
        up.PairsTrainer(up.check_upload(tsv(generate_corpus(5, seed=0))), folder.path,
                        up.UploadConfig(vocab_size=100))
    folder.remove()
    assert not folder.path.exists()
