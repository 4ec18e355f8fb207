"""Plausible submissions for exercise 6 (gradient checkpointing)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex06"
SEGMENT, SEQUENTIAL, MEASURE, BLOCKS = "ex06_segment", "ex06_sequential", "ex06_measure", "ex06_blocks"

RECOMPUTE = """        with minitorch.enable_grad(), memory.resume_counting():
            out = ctx.fn(start)
"""

MUTANTS = [
    bug(
        "segment_fn_on_the_class",
        E,
        "CheckpointSegment keeps fn on the class, not on ctx: with two segments in one graph, both recompute the "
        "last one's blocks",
        {"segment"},
        Edit(SEGMENT, "        ctx.fn = fn\n", "        CheckpointSegment.segment_fn = fn\n"),
        Edit(SEGMENT, "            out = ctx.fn(start)\n", "            out = CheckpointSegment.segment_fn(start)\n"),
    ),
    alternative(
        "sequential_default_argument_closure",
        E,
        "checkpointed_sequential binds each segment with a lambda's default argument",
        Edit(
            SEQUENTIAL,
            "        x = checkpoint_segment(runner(chunk), x)\n",
            "        x = checkpoint_segment(lambda h, chunk=chunk: runner(chunk)(h), x)\n",
        ),
    ),
    bug(
        "recompute_under_no_grad",
        E,
        "backward recomputes the segment with grad mode still off: nothing to back-propagate through",
        {"segment"},
        Edit(SEGMENT, RECOMPUTE, "        with memory.resume_counting():\n            out = ctx.fn(start)\n"),
    ),
    bug(
        "parameter_grads_lost",
        E,
        "backward takes only the input's gradient (autograd_grad(out, start)): the "
        "parameters inside the segment get no .grad",
        {"segment"},
        Edit(
            SEGMENT,
            "        out.backward(grad_output)\n        return None, start.grad\n",
            "        (gx,) = minitorch.autograd_grad(out, start, grad_output)\n        return None, gx\n",
        ),
    ),
    bug(
        "keeps_all_activations",
        E,
        "forward records the segment's graph and keeps it for backward: gradients right, no memory saved",
        {"segment"},
        Edit(
            SEGMENT,
            "        ctx.fn = fn\n        ctx.save_for_backward(x)\n        return fn(x)\n",
            "        start = x.detach().requires_grad_()\n"
            "        with minitorch.enable_grad():\n"
            "            ctx.out = fn(start)\n"
            "        ctx.start = start\n"
            "        return ctx.out.detach()\n",
        ),
        Edit(
            SEGMENT,
            "        (x,) = ctx.saved_tensors\n        start = x.detach().requires_grad_()\n"
            + RECOMPUTE
            + "        out.backward(grad_output)\n        return None, start.grad\n",
            "        ctx.out.backward(grad_output)\n        return None, ctx.start.grad\n",
        ),
    ),
    bug(
        "recomputation_not_counted",
        E,
        "backward recomputes without memory.resume_counting(): profile_memory misses the extra forward work",
        {"segment"},
        Edit(SEGMENT, RECOMPUTE, "        with minitorch.enable_grad():\n            out = ctx.fn(start)\n"),
    ),
    bug(
        "recomputes_twice",
        E,
        "backward runs the segment twice (once for the output, once more to differentiate)",
        {"segment"},
        Edit(
            SEGMENT,
            RECOMPUTE,
            RECOMPUTE.replace(
                "out = ctx.fn(start)", "ctx.fn(x)  # the output, to check it\n            out = ctx.fn(start)"
            ),
        ),
    ),
    bug(
        "last_segment_checkpointed",
        E,
        "every segment is checkpointed, the last one too: its blocks run twice",
        {"sequential"},
        Edit(
            SEQUENTIAL,
            "    for chunk in chunks[:-1]:\n        x = checkpoint_segment(runner(chunk), x)\n"
            "    return runner(chunks[-1])(x)\n",
            "    for chunk in chunks:\n        x = checkpoint_segment(runner(chunk), x)\n    return x\n",
        ),
    ),
    bug(
        "segment_size_rounded_down",
        E,
        "segment size L // segments instead of ceil(L / segments): other boundaries when segments does not divide L",
        {"sequential"},
        Edit(SEQUENTIAL, "size = math.ceil(len(blocks) / segments)", "size = max(1, len(blocks) // segments)"),
    ),
    bug(
        "segments_overlap",
        E,
        "segment boundaries off by one: each segment also runs the first block of the next",
        {"sequential"},
        Edit(SEQUENTIAL, "chunks = [blocks[start:start + size] for", "chunks = [blocks[start:start + size + 1] for"),
    ),
    bug(
        "late_binding_closure",
        E,
        "the segment function closes over the loop variable: every recomputation runs the last segment's blocks",
        {"sequential"},
        ReplaceSolution(
            SEQUENTIAL,
            """
            blocks = list(blocks)
            size = math.ceil(len(blocks) / segments)
            chunks = [blocks[start:start + size] for start in range(0, len(blocks), size)]
            for chunk in chunks[:-1]:
                def run(h):
                    for block in chunk:
                        h = block(h)
                    return h
                x = checkpoint_segment(run, x)
            for block in chunks[-1]:
                x = block(x)
            return x
        """,
        ),
    ),
    bug(
        "measure_backward_outside",
        E,
        "measure leaves the profile_memory block before the backward pass: the "
        "recomputations (and the backward peak) are not measured",
        {"measure"},
        ReplaceSolution(
            MEASURE,
            """
            with minitorch.profile_memory() as report:
                out = run_plain(blocks, x) if segments is None else checkpointed_sequential(blocks, segments, x)
            out.backward(minitorch.ones_like(out))
            return report.peak_saved_bytes, report.forward_ops
        """,
        ),
    ),
    bug(
        "measure_sums_the_output",
        E,
        "measure back-propagates out.sum() instead of seeding with ones: the sum is counted as one more forward op",
        {"measure"},
        Edit(MEASURE, "out.backward(minitorch.ones_like(out))", "out.sum().backward()"),
    ),
    bug(
        "blocks_counted_from_one",
        E,
        "checkpoint_blocks counts positions from 1: the wrong block is recomputed",
        {"blocks"},
        Edit(BLOCKS, "enumerate(blocks)", "enumerate(blocks, start=1)"),
    ),
    bug(
        "blocks_empty_which_means_every_block",
        E,
        "checkpoint_blocks takes an empty which as 'checkpoint every block' (which = which or range(...))",
        {"blocks"},
        Edit(
            BLOCKS,
            "    for i, block in enumerate(blocks):",
            "    which = which or range(len(blocks))\n    for i, block in enumerate(blocks):",
        ),
    ),
    alternative(
        "copies_and_loops",
        E,
        "forward keeps the input as an attribute and returns an array; backward "
        "recomputes from a copy of the input (one more array held while recomputing); a while loop for "
        "the segments; measure with segments=1 for the plain pass; an index loop for checkpoint_blocks",
        Edit(
            SEGMENT,
            "        ctx.fn = fn\n        ctx.save_for_backward(x)\n        return fn(x)\n",
            "        ctx.fn, ctx.x = fn, x\n        return fn(x).data\n",
        ),
        Edit(
            SEGMENT,
            "        (x,) = ctx.saved_tensors\n        start = x.detach().requires_grad_()\n",
            "        start = minitorch.tensor(ctx.x, requires_grad=True)\n",
        ),
        ReplaceSolution(
            SEQUENTIAL,
            """
                    L = len(blocks)
                    size = -(-L // segments)
                    start = 0
                    while start + size < L:
                        segment = blocks[start:start + size]
                        x = checkpoint_segment(lambda h, segment=segment: run_plain(segment, h), x)
                        start += size
                    return run_plain(blocks[start:], x)
                """,
        ),
        ReplaceSolution(
            MEASURE,
            """
                    with minitorch.profile_memory() as report:
                        out = checkpointed_sequential(blocks, 1 if segments is None else segments, x)
                        out.backward(gradient=minitorch.tensor(np.ones(out.shape)))
                    return int(report.peak_saved_bytes), int(report.forward_ops)
                """,
        ),
        ReplaceSolution(
            BLOCKS,
            """
                    h = x
                    for position in range(len(blocks)):
                        if position in which:
                            h = checkpoint_segment(blocks[position], h)
                        else:
                            h = blocks[position](h)
                    return h
                """,
        ),
    ),
    cheat(
        "segment_is_minitorchs",
        E,
        "checkpoint_segment calls minitorch's Checkpoint primitive",
        {"segment"},
        Edit(SEGMENT, "    return CheckpointSegment.apply(fn, x)", "    return minitorch.checkpoint(fn, x)"),
    ),
    cheat(
        "sequential_is_minitorchs",
        E,
        "checkpointed_sequential = minitorch.checkpoint_sequential",
        {"sequential"},
        ReplaceSolution(SEQUENTIAL, "return minitorch.checkpoint_sequential(blocks, segments, x)"),
    ),
]
