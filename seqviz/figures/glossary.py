"""One plain sentence per term the pages use, for help texts and captions: a student alone meets each
term with its meaning where it appears, and every page (and lesson) says it the same way."""
from __future__ import annotations

GLOSSARY = {
    "initialisation": (
        "How the weights start. default: PyTorch's own, every weight uniform in ±1/√H. xavier: uniform "
        "scaled by the matrix's fan-in and fan-out. orthogonal: recurrent blocks W_h· orthogonal (every "
        "singular value 1). identity: W_h· = I with tiny input weights (Le et al.'s IRNN). normal: W_h· "
        "drawn from N(0, 1/H) and rescaled to spectral radius ρ. All but default zero the biases."),
    "spectral radius": (
        "ρ, the largest |eigenvalue| of a recurrent matrix W_h·: how much a small state change is "
        "stretched per step near h = 0 (ρ < 1 shrinks it, ρ > 1 stretches it)."),
    "adding problem": (
        "Each step carries a number in [0, 1] and a marker; two steps are marked, one in each half. The "
        "model must output the sum of the two marked numbers at the last step, so it must remember a "
        "number from up to T steps back."),
    "copy memory": (
        "Ten symbols come first, then T − 1 blanks, then a cue; after the cue the model must repeat the "
        "ten symbols in order, so it must carry them across the blanks."),
    "memoryless baseline": (
        "The best loss a model can reach without remembering anything from the sequence (for adding: "
        "always answer 1; for copy: blanks, then a uniform guess over the symbols). A loss that stays "
        "at this line has learned nothing long-range."),
    "clipping": (
        "Before each update, a gradient that is too large is shrunk: by global norm rescales the whole "
        "gradient to norm c when it is above c (its direction kept); by value cuts every entry to [−c, c] "
        "(its direction changed)."),
    "truncated bptt": (
        "Backpropagation stops k steps back: gradients from further back are dropped, which is cheaper "
        "but blind to dependencies longer than k. 0 backpropagates through the whole sequence."),
    "optimizer": (
        "How a gradient becomes an update: SGD steps by −learning rate × gradient; Adam scales each "
        "weight's step by its own running gradient statistics, so its steps hardly depend on the "
        "gradient's size."),
    "learning rate": "The size of each update's step.",
    "batch size": "How many sequences are averaged into each update's gradient.",
    "updates": "How many gradient steps the training takes.",
    "heatmap sampling": (
        "‖dL/dh_t‖ at every step t is recorded every k updates for the heatmap below the curves; smaller "
        "k gives a finer picture and slows training a little."),
    "task length": "T, the distance in steps the model must remember across.",
    "lyapunov": (
        "The Lyapunov exponent is the average growth rate per step of a small perturbation, in nats "
        "(natural-log units): negative means perturbations (and gradients) die out."),
    "effective memory": (
        "M, the number of steps back until the gradient has fallen by a factor of a million: "
        "dependencies longer than M barely reach the weights."),
    "exposure bias": (
        "A model trained with the true previous token fed back (teacher forcing) never saw its own "
        "mistakes in training; decoding with its own outputs fed back, one mistake leads it where it "
        "has never been, and the mistakes compound."),
    "selective copying": (
        "A few data tokens sit at random positions among noise; markers follow, and at the markers the "
        "model must output the data tokens in order. Position alone cannot solve it: the model must "
        "decide by content, token by token, what to keep, which Mamba's input-dependent (selective) "
        "parameters allow and a fixed S4D kernel does not."),
    "induction heads": (
        "Random tokens in which a trigger appears once, followed by some token v; the sequence ends with "
        "the trigger again, and the model must output v: recall by content."),
}


def explain(*terms: str) -> str:
    """The sentences for `terms` (keys of GLOSSARY, any case), each headed by its term, as one help text."""
    return "\n\n".join(f"**{term}**: {GLOSSARY[term.lower()]}" for term in terms)
